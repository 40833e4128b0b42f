"""ACCESS_FILE: which customers each helpdesk person may act on, by Slack user or user group.

    scopes:
      - who: [S0614TZR7]              # a user group (its members, read from Slack)
        customers: [Acme Corp, Globex]
      - who: [U012AB3CD]              # one person
        customers: all

A person's scope is the union of every entry naming them or one of their user groups; a person
named by no entry acts on no customer. Without ACCESS_FILE everyone in HELPDESK_USERS acts on
every customer.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

_PRINCIPAL = re.compile(r"^[US][A-Z0-9]{2,}$")


class AccessFileError(ValueError):
    """ACCESS_FILE cannot be used; the text names the entry and what to fix."""


class ScopeEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    who: list[str] = Field(min_length=1)
    customers: list[str] | Literal["all"] = Field(min_length=1)

    @field_validator("who", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("who")
    @classmethod
    def _slack_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _PRINCIPAL.match(item):
                raise ValueError(f"{item!r} is not a Slack user id (U…) or user-group id (S…)")
        return value

    @field_validator("customers", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) and value != "all" else value


class AccessFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scopes: list[ScopeEntry]


def read_access_file(path: str | Path) -> AccessFile:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise AccessFileError(f"cannot read {path}: {error.strerror or error}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise AccessFileError(f"{path} is not valid YAML: {error}") from None
    try:
        return AccessFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for problem in exc.errors():
            where = ".".join(str(part) for part in problem["loc"]) or "the file"
            problems.append(f"{where}: {str(problem['msg']).removeprefix('Value error, ')}")
        raise AccessFileError(f"{path}: " + "; ".join(problems)) from None
