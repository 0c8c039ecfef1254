"""Everything that talks Slack: Block Kit builders (pure), ids, the Web API client and the
notifier (the only module that calls the Web API)."""

__all__: list[str] = []
