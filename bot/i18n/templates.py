"""One Jinja2 environment per shipped language over the same templates.

Jinja2's i18n extension installs `gettext` on an environment, not on a render, so each
language gets its own environment (built on first use): the outbox threads render e-mails in
different languages at the same time without sharing one. `{% trans %}` blocks are trimmed
(whitespace and line breaks inside them collapse), which is how `make messages` extracts them.
"""

from __future__ import annotations

import gettext
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import BaseLoader, Environment, StrictUndefined, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup

from bot.i18n.catalogs import translations
from bot.i18n.dates import format_moment
from bot.i18n.languages import SHIPPED_LANGUAGES, language_name


def _newstyle(catalog: gettext.NullTranslations) -> Callable[..., str]:
    lookup = catalog.gettext

    @pass_context
    def translate(context: Context, message: str, **variables: Any) -> str:
        text = lookup(message)
        # Autoescaped (HTML): the translation is markup, the values are escaped into it.
        if context.eval_ctx.autoescape:
            return Markup(text) % variables  # noqa: S704 - our own catalogs; values escaped by %
        return text % variables

    return translate


class LocalizedTemplates:
    def __init__(
        self,
        loader: BaseLoader,
        *,
        zone: ZoneInfo,
        escaped: tuple[str, ...] = ("html",),
        filters: Mapping[str, Callable[..., Any]] | None = None,
        **options: Any,
    ) -> None:
        self._filters = dict(filters or {})
        self._loader = loader
        self._zone = zone
        self._escaped = escaped
        self._options = options
        self._environments: dict[str, Environment] = {}
        self._lock = threading.Lock()

    def environment(self, language: str) -> Environment:
        """The environment whose `_()`, `{% trans %}` and `|moment` speak `language`."""
        environment = self._environments.get(language)
        if environment is None:
            with self._lock:
                environment = self._environments.get(language) or self._build(language)
                self._environments[language] = environment
        return environment

    def _build(self, language: str) -> Environment:
        if language not in SHIPPED_LANGUAGES:
            raise ValueError(f"{language!r} is not a shipped language")
        environment = Environment(
            loader=self._loader,
            # HTML is autoescaped (values, not translations, are escaped); text and subjects are not.
            autoescape=select_autoescape(enabled_extensions=self._escaped, default_for_string=False),
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            # Templates ship with the code: no stat() of the files for every render.
            auto_reload=False,
            **self._options,
        )
        environment.policies["ext.i18n.trimmed"] = True
        catalog = translations(language)
        environment.install_gettext_translations(catalog, newstyle=True)  # type: ignore[attr-defined]
        # `_()` and `gettext()` as Jinja2's newstyle ones behave, called directly: Jinja2's own
        # pass through two more template calls each, most of an invitation e-mail's rendering.
        environment.globals.update(_=_newstyle(catalog), gettext=_newstyle(catalog))
        zone = self._zone

        def moment(value: datetime) -> str:
            return format_moment(value, zone=zone, language=language)

        environment.filters.update(self._filters, moment=moment)
        environment.globals.update(language=language, language_name=language_name(language))
        return environment

    def render(self, name: str, language: str, context: Mapping[str, Any]) -> str:
        return self.environment(language).get_template(name).render(context)

    def list_templates(self) -> list[str]:
        return self.environment(next(iter(SHIPPED_LANGUAGES))).list_templates()
