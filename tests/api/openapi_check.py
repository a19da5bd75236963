"""Validate API answers against the served OpenAPI document."""
from __future__ import annotations

import re

from jsonschema import Draft202012Validator


class OpenApi:
    def __init__(self, spec: dict):
        self.spec = spec

    def operation(self, method: str, path: str) -> dict:
        """The documented operation for a concrete path such as /messages/abc/revoke."""
        path = path.split("?", 1)[0]
        for template, ops in self.spec["paths"].items():
            pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method.lower() in ops:
                return ops[method.lower()]
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check(self, method: str, path: str, resp) -> None:
        """The answer's status is documented and its body fits the documented schema."""
        responses = self.operation(method, path)["responses"]
        status = str(resp.status_code)
        assert status in responses, f"{method} {path} answered {status}, not in the OpenAPI document"
        doc = responses[status]
        if "$ref" in doc:
            doc = self.spec["components"]["responses"][doc["$ref"].rsplit("/", 1)[1]]
        content = doc.get("content")
        if not content:
            assert not resp.get_data(), f"{method} {path} {status} should have no body"
            return
        schema = {**content["application/json"]["schema"], "components": self.spec["components"]}
        Draft202012Validator(schema).validate(resp.get_json())


def documented_operations(spec: dict) -> set[tuple[str, str]]:
    # HEAD and OPTIONS are compared apart: Flask adds them to every route by itself.
    return {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops if m not in ("head", "options")}


def served_operations(app, prefix: str = "/api/v1") -> set[tuple[str, str]]:
    ops = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(prefix):])
        ops |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return ops
