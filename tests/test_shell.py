"""crm shell: driven through a pseudo-terminal (os.openpty), the installed `crm` in a subprocess."""

from __future__ import annotations

import fcntl
import os
import re
import select
import struct
import subprocess
import termios
import time

import pytest

from conftest import CRM_BIN

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[>=()][0-9A-Za-z]?|\r|\x08")
PROMPT = "crm>"


class Terminal:
    """`crm shell` on a pseudo-terminal: type keys, wait for text to appear on the screen."""

    def __init__(self, env: dict, *args: str):
        env = dict(env, TERM="xterm", PROMPT_TOOLKIT_NO_CPR="1")  # no cursor-position queries to answer
        self.fd, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        self.proc = subprocess.Popen([CRM_BIN, *args, "shell"], stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.seen = ""

    def type(self, keys: str) -> None:
        self.seen = ""
        os.write(self.fd, keys.encode("utf-8"))

    def wait_for(self, pattern: str, timeout: float = 20) -> str:
        """What the screen showed since the last keys, once `pattern` (a regex) is in it."""
        raw = b""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if ready:
                try:
                    raw += os.read(self.fd, 65536)
                except OSError:  # the shell exited
                    break
                self.seen = ANSI.sub("", raw.decode("utf-8", "replace"))
                if re.search(pattern, self.seen):
                    return self.seen
        raise AssertionError(f"no {pattern!r} on the screen; it showed: {self.seen[-1500:]!r}")

    def exit_code(self, timeout: float = 20) -> int:
        return self.proc.wait(timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)
        os.close(self.fd)


@pytest.fixture
def terminal(crm_env, tmp_path):
    opened = []

    def _open(*args: str, history: bool = False) -> Terminal:
        env = dict(crm_env, XDG_STATE_HOME=str(tmp_path / "state"))
        if not history:
            env["CRM_NO_HISTORY"] = "1"
        t = Terminal(env, *args)
        opened.append(t)
        t.wait_for(PROMPT)
        return t

    yield _open
    for t in opened:
        t.close()


def test_commands_completion_errors_and_exit(run, terminal):
    run("customer", "add", "Acme Trading Ltd", check=True)
    run("customer", "add", "Beta", check=True)
    t = terminal()
    t.type("customer list\r")
    screen = t.wait_for(r"Beta[\s\S]*" + PROMPT)
    assert re.search(r"ID \| Name +\| Status", screen)  # a table (NO_COLOR: ASCII): stdout is the terminal
    assert "Acme Trading Ltd" in screen
    t.type("custo\t")  # a command name
    t.wait_for(r"customer")
    t.type(" show Ac\t")  # a customer's name, quoted as it has spaces
    t.wait_for(r"'Acme Trading Ltd'")
    t.type("\r")
    assert re.search(r"name +Acme Trading Ltd", t.wait_for(r"Activities[\s\S]*" + PROMPT))
    t.type("customer show Nope\r")
    screen = t.wait_for(r"error[\s\S]*" + PROMPT)
    assert "crm: error: no customer 'Nope' (see 'crm customer list')" in screen
    t.type("customer add Gamma\r")  # the shell goes on after an error
    t.wait_for(r"created customer 3: Gamma[\s\S]*" + PROMPT)
    t.type("half a line\x03")  # Ctrl-C drops the line
    t.wait_for(PROMPT)
    t.type("exit\r")
    assert t.exit_code() == 0  # the last command's status
    assert run("customer", "show", "Gamma", "--format", "json").returncode == 0


def test_global_options_completion_of_options_and_ctrl_d(run, terminal):
    run("user", "add", "alice", check=True)
    t = terminal("--as", "alice")
    t.type("customer add Mine\r")
    t.wait_for(r"created customer 1: Mine[\s\S]*" + PROMPT)
    t.type("customer list --own\t")
    t.wait_for(r"--owner")
    t.type(" ali\t")
    t.wait_for(r"alice")
    t.type(" --format json\r")
    assert '"owner": "alice"' in t.wait_for(r"\][\s\S]*" + PROMPT)
    t.type("customer show Nope\r")
    t.wait_for(r"error[\s\S]*" + PROMPT)
    t.type("\x04")  # Ctrl-D
    assert t.exit_code() == 3  # the last command's status (not found)


def test_history_file_unless_crm_no_history(terminal, tmp_path):
    history = tmp_path / "state" / "crm" / "shell_history"
    t = terminal()
    t.type("db path\r")
    t.wait_for(r"db path\n.+\n" + PROMPT)
    t.type("exit\r")
    assert t.exit_code() == 0 and not history.exists()
    t = terminal(history=True)
    t.type("db path\r")
    t.wait_for(r"db path\n.+\n" + PROMPT)
    t.type("exit\r")
    assert t.exit_code() == 0
    assert "+db path" in history.read_text(encoding="utf-8")


def test_off_a_terminal_it_points_to_batch(run):
    p = run("shell", input="customer list\n")
    assert p.returncode == 2
    assert p.stderr == ("crm: error: crm shell needs a terminal (for commands from a file or a pipe use "
                        "'crm batch FILE' or 'crm batch -')\n")
