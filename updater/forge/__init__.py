"""Where branches and pull requests go: GitHub through PyGithub, the PR body, the dashboard issue."""
