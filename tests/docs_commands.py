"""Prints the pond commands of a markdown file, for tests/e2e/docs.sh.

One line per command, tab-separated: LINE, run|skip, COMMAND (for skip,
the reason and the command), and LINE, block, "" where a code block
starts (each starts in the folder the doc's text is read from). Commands are the lines of code blocks (four
spaces in, or fenced as sh/bash/console) that start with pond, build/pond
or ../build/pond, with a shell comment at the end removed. A line such as
`build/pond init lake && cd lake` runs as a whole.
"""
import re, shlex, sys

PLACEHOLDER = re.compile(r"(^|[\s=])[A-Z][A-Z_]{1,}([\s.,]|$)")
POND = re.compile(r"^(\.\./build/|build/|\./)?pond(\s|$)")


def strip_comment(cmd):
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=False)
    lex.whitespace_split = True
    lex.commenters = "#"
    # find where the comment starts: the first '#' outside quotes after space
    quote = None
    for i, ch in enumerate(cmd):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or cmd[i - 1] in " \t"):
            return cmd[:i].rstrip()
    return cmd.rstrip()


def classify(cmd):
    words = cmd.split()
    if words[0].endswith(":") or (len(words) > 1 and words[1].endswith(":")):
        return "skip", "output, not a command"
    if "[" in cmd.replace("'[", "").replace("\"[", "") or " | " in cmd or "..." in cmd.replace("'...'", "") or \
            PLACEHOLDER.search(re.sub(r"(\"[^\"]*\"|'[^']*')", "", cmd)):
        return "skip", "synopsis"
    rest = re.sub(r"^.*?pond\s*", "", cmd)
    sub = rest.split()[0] if rest.split() else ""
    if sub == "serve":
        return "skip", "pond serve runs until stopped (tests/e2e/serve.sh covers it)"
    if sub == "schedule" and "--once" not in rest:
        return "skip", "pond schedule runs until stopped (tests/e2e/pipeline.sh covers it)"
    if "/mnt/" in rest:
        return "skip", "needs a mounted share (tests/e2e/archive.sh covers it with a folder)"
    if sub == "demo" and "--no-serve" not in rest:
        return "run", cmd + " --no-serve"
    return "run", cmd


def main():
    text = open(sys.argv[1]).read().split("\n")
    fenced = False
    fence_runs = False
    prev_blank = True
    for n, line in enumerate(text, 1):
        s = line.strip()
        if s.startswith("```"):
            if not fenced:
                print("%d\tblock\t" % n)
                fenced = True
                fence_runs = s[3:].strip() in ("", "sh", "bash", "console", "shell")
            else:
                fenced = False
            continue
        code = (fenced and fence_runs) or (not fenced and line.startswith("    "))
        if not fenced and code and prev_blank:
            print("%d\tblock\t" % n)
        prev_blank = not code and not s
        if not code:
            continue
        cmd = strip_comment(s.lstrip("$ ").strip())
        if not cmd:
            continue
        # set-up lines: keep only their pond part
        if cmd.startswith("./scripts/") or cmd.startswith("make"):
            parts = [p.strip() for p in cmd.split("&&")]
            ponds = [p for p in parts if POND.match(p)]
            if not ponds:
                print("%d\tskip\tset-up or build: %s" % (n, cmd))
                continue
            print("%d\tskip\tset-up or build: %s" % (n, " && ".join(p for p in parts if p not in ponds)))
            cmd = " && ".join(ponds)
        if not POND.match(cmd) and not cmd.startswith("cd "):
            continue
        if cmd.startswith("cd "):
            print("%d\trun\t%s" % (n, cmd))
            continue
        kind, what = classify(cmd)
        if kind == "skip":
            print("%d\tskip\t%s: %s" % (n, what, cmd))
        else:
            print("%d\trun\t%s" % (n, what))


main()
