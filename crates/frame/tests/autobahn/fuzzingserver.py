"""Autobahn|Testsuite fuzzing server for tests/autobahn.rs, run by kosoku.

kosoku (PyPI) drives Autobahn's own case files (kosoku/cases/*.py) from a Rust runner.
This script binds its fuzzingserver to 127.0.0.1 on an ephemeral port and speaks JSON
lines on stdout:

    {"port": N}                     once listening
    {"case": {...}}                 one per case, after the client called /updateReports
    {"done": count}                 last line

It never binds anything but 127.0.0.1, exits when its stdin closes (the test process is
gone), and gives up after --timeout seconds.

usage: fuzzingserver.py --exclude '12.*' --exclude '13.*' --timeout 600
"""

import argparse
import asyncio
import json
import os
import sys
import threading

from kosoku import FailureError, run_fuzzingserver


def exit_when_stdin_closes() -> None:
    sys.stdin.read()
    os._exit(3)


def emit(obj: object) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def sent_octets(result) -> list | None:
    """The writes kosoku logged ("TO" entries) as [length, hex]; long ones are logged cut
    short (the hex then ends in " ..."). None if it kept no wire log."""
    if not result.create_wirelog:
        return None
    return [
        [entry[1][0], entry[1][1].removesuffix(" ...")]
        for entry in result.wirelog
        if entry[0] == "TO"
    ]


def describe(result) -> dict:
    return {
        "id": result.case_id,
        "index": result.case_index,
        "description": result.description,
        "expectation": result.expectation,
        "expected": sorted(result.expected.keys()),
        "expected_close": result.expected_close,
        "behavior": result.behavior.value,
        "behavior_close": result.behavior_close.value,
        "result": result.result,
        "result_close": result.result_close,
        "passed": result.passed,
        "client_close_code": result.remote_close_code,
        "sent": sent_octets(result),
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--include", action="append")
    parser.add_argument("--exclude", action="append")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()

    async with run_fuzzingserver(args.include, args.exclude, host="127.0.0.1", port=0) as server:
        emit({"port": server.port})
        try:
            results = await asyncio.wait_for(server.get_result(), args.timeout)
        except FailureError as failure:
            # Some cases "failed" for the client under test: the results are still whole.
            results = failure.results
        for result in results:
            emit({"case": describe(result)})
        emit({"done": len(results)})


if __name__ == "__main__":
    asyncio.run(main())
