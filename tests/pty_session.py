"""Drives an interactive program on a pseudo-terminal, for e2e tests.

usage: pty_session.py COLS STEP... -- PROGRAM ARG...
STEP is send:TEXT (backslash escapes: \\n, \\x03 for Ctrl-C) or
expect:REGEX (waits until the output so far, after the previous expect,
matches; at most 120 s, a bound for a loaded machine, not a timing
assertion). Prints everything the program wrote; exits 1 when an expect
was not met (naming it) or 0.
"""
import os, pty, re, select, struct, sys, time, fcntl, termios

args = sys.argv[1:]
cols = int(args.pop(0))
sep = args.index("--")
steps, prog = args[:sep], args[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(prog[0], prog)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, cols, 0, 0))
out = b""
mark = 0
status = 0


def read_some(timeout):
    global out
    r, _, _ = select.select([fd], [], [], timeout)
    if r:
        try:
            data = os.read(fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        out += data
    return True


for step in steps:
    kind, _, text = step.partition(":")
    if kind == "send":
        os.write(fd, text.encode().decode("unicode_escape").encode("latin-1"))
    elif kind == "expect":
        pat = re.compile(text.encode())
        end = time.monotonic() + 120
        while not pat.search(out, mark):
            if time.monotonic() > end or not read_some(0.2):
                if not pat.search(out, mark):
                    sys.stdout.write(out.decode(errors="replace"))
                    print("\npty_session: never saw %r" % text)
                    sys.exit(1)
        mark = pat.search(out, mark).end()
end = time.monotonic() + 120
while time.monotonic() < end and read_some(0.2):
    pass
os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
