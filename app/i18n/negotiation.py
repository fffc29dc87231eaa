"""The response language from Accept-Language (RFC 9110 section 12.5.4)."""

DEFAULT = "en"
SUPPORTED = frozenset({"en", "id"})
# A longer header is no honest preference; do not spend time on it.
MAX_RANGES = 20


def negotiate(header: str | None) -> str:
    """The supported language the caller prefers most (highest q, then first listed); else English.

    `id` and `id-ID` are Indonesian; `*` and anything unsupported leave the default.
    """
    best, best_q = DEFAULT, 0.0
    for item in (header or "").split(",")[:MAX_RANGES]:
        tag, _, params = item.partition(";")
        primary = tag.strip().lower().partition("-")[0]
        lang = DEFAULT if primary == "*" else primary
        if lang not in SUPPORTED:
            continue
        q = _quality(params)
        if q > best_q:
            best, best_q = lang, q
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value)
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0  # also refuses nan
    return 1.0
