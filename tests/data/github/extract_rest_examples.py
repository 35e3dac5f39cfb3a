#!/usr/bin/env python3
"""Extracts the official example responses of the REST endpoints changeproof reads from
GitHub's OpenAPI description (npm package @octokit/openapi), into rest-examples/.

    npm pack @octokit/openapi && tar xzf octokit-openapi-*.tgz
    python3 tests/data/github/extract_rest_examples.py package/generated/api.github.com.json \
        package/generated/ghec.json

Endpoints that only GitHub Enterprise Cloud documents (the org audit log) come from the
second file.

The examples are the reference shapes for the normalizer's tests and the example
generator: both must agree with what GitHub documents.
"""
import json
import os
import sys

ENDPOINTS = [
    "/orgs/{org}/repos",
    "/repos/{owner}/{repo}/branches/{branch}/protection",
    "/repos/{owner}/{repo}/rules/branches/{branch}",
    "/repos/{owner}/{repo}/rulesets/rule-suites",
    "/repos/{owner}/{repo}/rulesets/{ruleset_id}/history",
    "/repos/{owner}/{repo}/rulesets/{ruleset_id}/history/{version_id}",
    "/orgs/{org}/audit-log",
    "/repos/{owner}/{repo}/deployments",
    "/repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "/repos/{owner}/{repo}/actions/runs/{run_id}/approvals",
    "/orgs/{org}/members",
    "/orgs/{org}/outside_collaborators",
    "/repos/{owner}/{repo}/collaborators",
    "/orgs/{org}/teams",
    "/orgs/{org}/teams/{team_slug}/members",
    "/orgs/{org}/teams/{team_slug}/repos",
    "/repos/{owner}/{repo}/keys",
    "/repos/{owner}/{repo}/actions/secrets",
    "/orgs/{org}/actions/secrets",
]


def main():
    specs = [json.load(open(p)) for p in sys.argv[1:]]
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rest-examples")
    os.makedirs(out, exist_ok=True)
    for path in ENDPOINTS:
        spec = next(s for s in specs if path in s["paths"])
        components = spec["components"]
        op = spec["paths"][path]["get"]
        content = op["responses"]["200"]["content"]["application/json"]
        examples = content.get("examples", {})
        for name, ex in examples.items():
            if "$ref" in ex:
                ex = components["examples"][ex["$ref"].split("/")[-1]]
            slug = path.strip("/").replace("/", "_").replace("{", "").replace("}", "")
            fname = f"GET_{slug}__{name}.json"
            with open(os.path.join(out, fname), "w") as f:
                json.dump(ex["value"], f, indent=2, sort_keys=True)
                f.write("\n")
            print(fname)


if __name__ == "__main__":
    main()
