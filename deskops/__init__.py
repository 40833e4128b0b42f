"""The `deskops` program: the process-level composition of the bot (`bot/`) and, for the offline
console, the Slack emulator (`console/`). The only package that may import both."""
