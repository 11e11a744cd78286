"""The course hub: course file, roster, JupyterHub configuration and the `course` CLI."""
