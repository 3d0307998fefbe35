"""The schema says what the API answers (Schemathesis holds the answers to it): errors leave as
`application/problem+json` (problems.py), so every response whose body is a problem is
documented with that media type, not ninja's default `application/json`; every operation that
takes a body may answer 400 when the body is no JSON at all, and every one that takes input 422
when ninja's validation refuses it."""

from ninja import NinjaAPI

PROBLEM_BODY = {"schema": {"$ref": "#/components/schemas/Problem"}}
PROBLEM_SCHEMAS = ("#/components/schemas/Problem", "#/components/schemas/ReadingsProblem")


def _problem_content(content: dict) -> dict:
    body = content.get("application/json")
    if body is None or body.get("schema", {}).get("$ref") not in PROBLEM_SCHEMAS:
        return content
    return {"application/problem+json": body}


class KabinetAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.get("responses", {})
                if "requestBody" in operation and 400 not in responses:
                    responses[400] = {"description": "Bad Request", "content": {"application/json": PROBLEM_BODY}}
                takes_input = "requestBody" in operation or operation.get("parameters")
                if takes_input and 422 not in responses:
                    responses[422] = {
                        "description": "Unprocessable Entity",
                        "content": {"application/json": PROBLEM_BODY},
                    }
                for response in responses.values():
                    if "content" in response:
                        response["content"] = _problem_content(response["content"])
        return schema
