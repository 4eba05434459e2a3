"""git for the bot: scratch worktrees outside the user's checkout, commits with the bot's own
identity, pushes with credentials through GIT_ASKPASS. Nothing here touches the user's current
branch, index or working tree."""
