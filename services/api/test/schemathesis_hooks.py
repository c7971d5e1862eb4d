"""schemathesis hooks for the api's contract test (SCHEMATHESIS_HOOKS=<this file>).

A well-behaved client sends a fresh Idempotency-Key with every new request. schemathesis draws
header values like any other, so it repeats keys ("0", "A"…) across requests; the api then
answers as the Idempotency-Key draft says (the first answer replayed, or 409
idempotency-key-reused) and the stateful checks read a replayed 201 as a resource that vanished.
A valid key is therefore made unique just before the call; an invalid one (negative testing) is
left as drawn. Reusing keys is tested by services/api/test/bad-input.int.spec.ts.
"""

import re
import uuid

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    headers = case.headers or {}
    for name, value in list(headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and VALID_KEY.match(value):
            headers[name] = f"st-{uuid.uuid4()}"
