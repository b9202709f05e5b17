"""A Python `websockets` agent for tests/serve_tcp.rs (python_agent.rs drives it).

Run against `wsrace serve --push-every 0.05` with one agent whose token is --token:

1. upgrades without a token and with a wrong one: both must fail with HTTP 401;
2. connects ("old"), sends a WebSocket Ping and a JSON heartbeat, receives pushes;
3. connects again with the same token ("new"): the old connection must be closed;
4. heartbeats and receives a push on the new connection, then prints
   {"step": "ready"} and waits: the test sends the server SIGTERM;
5. prints {"step": "result", ...} with every status and close code it saw.

The script only observes and reports; the Rust test asserts. Every wait is bounded.
On an unexpected error it prints {"step": "error", ...} and exits 1.
"""

import argparse
import asyncio
import json
import sys
import traceback

import websockets
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

WAIT = 5.0


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


async def upgrade_status(url, headers):
    """The HTTP status of an upgrade that should be refused (101 if it was not)."""
    try:
        async with connect(url, additional_headers=headers, open_timeout=WAIT):
            return 101
    except InvalidStatus as e:
        return e.response.status_code


class Agent:
    def __init__(self, ws):
        self.ws = ws
        self.pushes = []

    @classmethod
    async def connect(cls, url, token):
        headers = {"Authorization": f"Bearer {token}"}
        ws = await connect(url, additional_headers=headers, open_timeout=WAIT, ping_interval=None)
        return cls(ws)

    async def _recv(self):
        """The next message as JSON; pushes are recorded and returned too."""
        v = json.loads(await asyncio.wait_for(self.ws.recv(), WAIT))
        if v.get("type") == "push":
            self.pushes.append(v["seq"])
        return v

    async def ping(self, payload):
        waiter = await self.ws.ping(payload)
        await asyncio.wait_for(waiter, WAIT)
        return True

    async def heartbeat(self, seq):
        await self.ws.send(json.dumps({"type": "heartbeat", "seq": seq}))
        while True:
            v = await self._recv()
            if v.get("type") != "push":
                return v

    async def push(self):
        v = await self._recv()
        if v.get("type") != "push":
            raise AssertionError(f"expected a push, got {v}")
        return v["seq"]

    async def closed(self):
        """Reads until the server closes; returns the Close frame it sent."""
        try:
            while True:
                v = await self._recv()
                if v.get("type") != "push":
                    raise AssertionError(f"expected only pushes before Close, got {v}")
        except ConnectionClosed as e:
            await asyncio.wait_for(self.ws.wait_closed(), WAIT)
            if e.rcvd is None:
                return {"code": None, "reason": None}
            return {"code": e.rcvd.code, "reason": e.rcvd.reason}


async def main(url, token):
    result = {"websockets": websockets.__version__}
    result["missing_token_status"] = await upgrade_status(url, {})
    result["bad_token_status"] = await upgrade_status(url, {"Authorization": "Bearer not-a-token"})

    old = await Agent.connect(url, token)
    result["old_pong"] = await old.ping(b"py-ping")
    result["old_ack"] = await old.heartbeat(1)
    await old.push()
    await old.push()

    new = await Agent.connect(url, token)
    result["old_close"] = await old.closed()
    result["new_ack"] = await new.heartbeat(2)
    result["new_pong"] = await new.ping(b"py-ping-2")
    await new.push()

    emit("ready")
    result["new_close"] = await new.closed()
    result["old_pushes"] = old.pushes
    result["new_pushes"] = new.pushes
    emit("result", **result)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    args = parser.parse_args()
    try:
        asyncio.run(asyncio.wait_for(main(args.url, args.token), 60))
    except BaseException as e:  # report anything, including timeouts, as one line
        emit("error", error=repr(e), traceback=traceback.format_exc())
        sys.exit(1)
