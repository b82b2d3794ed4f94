"""Running `layerwise` in a real pseudo-terminal, typing keys as its prompts appear."""

import os
import sys


def run_in_terminal(home, argv, keys, env_extra=None, timeout=60):
    """Run `layerwise ARGV` in a pseudo-terminal. keys: (marker, delay, text): once `marker` has appeared on the
    terminal since the previous key, wait `delay` seconds, then type `text` ("^C" sends SIGINT). Returns the exit
    code and everything the terminal showed."""
    import pty
    import select
    import signal
    import subprocess
    import time

    main, secondary = pty.openpty()
    env = {**os.environ, "LAYERWISE_HOME": str(home), "TERM": "xterm", "COLUMNS": "100"}
    env.pop("EDITOR", None)
    env.pop("VISUAL", None)
    env.update(env_extra or {})
    proc = subprocess.Popen([sys.executable, "-m", "layerwise", *argv], stdin=secondary, stdout=secondary,
                            stderr=secondary, env=env, close_fds=True, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    os.close(secondary)
    shown = b""
    pending = list(keys)
    seen_at = None
    since = 0  # a marker counts only in what the terminal showed after the previous key
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pending:
            marker, delay, text = pending[0]
            if seen_at is None and marker.encode() in shown[since:]:
                seen_at = time.monotonic()
            if seen_at is not None and time.monotonic() - seen_at >= delay:
                pending.pop(0)
                seen_at = None
                since = len(shown)
                if text == "^C":
                    os.killpg(proc.pid, signal.SIGINT)
                else:
                    os.write(main, text.encode())
        ready, _, _ = select.select([main], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(main, 65536)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=10)
    os.close(main)
    return proc.returncode, shown.decode(errors="replace")
