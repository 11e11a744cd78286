"""Staff servers only (first in JUPYTER_CONFIG_PATH for the staff group).

JupyterLab shows formgrader in a tab that is an iframe of the same server, but JupyterHub's
singleuser extension gives every page `frame-ancestors 'none'` unless the server sets its own
header: allow framing by the same origin, so formgrader's tab is not blank.
"""

c = get_config()  # noqa: F821  (injected by traitlets)
c.ServerApp.tornado_settings = {
    "headers": {"Content-Security-Policy": "frame-ancestors 'self'"},
}
