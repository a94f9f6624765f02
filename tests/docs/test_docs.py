"""The repository's documentation stands on its own and stays true to the binary:
- every relative link in the Markdown documents points at a file (and heading) of the repo;
- no file points outside the repository;
- every option of `serve` (and its environment variable) is documented in docs/operations.md
  and in the example configuration deploy/axon-webhooks.env;
- deploy/axon-webhooks.service passes `systemd-analyze verify` (skipped when it is absent).
Run by CTest as `docs` (python3 stdlib only; AXON_BIN is the built binary)."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXON_BIN = os.environ.get("AXON_BIN", os.path.join(ROOT, "build", "dev", "axon-webhooks"))
SKIP_DIRS = {".git", "node_modules", "build", "var"}
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def repo_files(suffixes=None):
    for top, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith("build")]
        for name in files:
            if suffixes is None or name.endswith(suffixes):
                yield os.path.join(top, name)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def heading_anchors(markdown):
    """GitHub's anchors: lower case, punctuation dropped, spaces to hyphens."""
    anchors = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


class Links(unittest.TestCase):
    def test_every_relative_link_resolves_inside_the_repository(self):
        checked = 0
        for doc in repo_files((".md",)):
            text = read(doc)
            for target in MARKDOWN_LINK.findall(text):
                if re.match(r"^[a-z]+:", target):
                    continue  # https:, mailto:
                path, _, anchor = target.partition("#")
                resolved = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
                where = f"{os.path.relpath(doc, ROOT)} links {target}"
                self.assertTrue(resolved.startswith(ROOT + os.sep) or resolved == ROOT, where)
                self.assertTrue(os.path.exists(resolved), f"{where}: no such file")
                if anchor and resolved.endswith(".md"):
                    self.assertIn(anchor, heading_anchors(read(resolved)), f"{where}: no such heading")
                checked += 1
        self.assertGreater(checked, 20)

    def test_nothing_points_outside_the_repository(self):
        outside = ["../" + "shared", "/work" + "/", "contract" + ".md", "contract" + " §"]
        text_suffixes = (".md", ".cpp", ".hpp", ".py", ".js", ".mjs", ".sh", ".txt", ".cmake",
                         ".in", ".sql", ".json", ".service", ".env", ".go", ".php", ".rb")
        for path in repo_files(text_suffixes):
            if path.endswith("package-lock.json"):
                continue
            text = read(path)
            for needle in outside:
                self.assertNotIn(needle, text, f"{os.path.relpath(path, ROOT)} mentions {needle}")


class ServeOptions(unittest.TestCase):
    def test_every_serve_option_and_variable_is_documented(self):
        if not os.path.exists(AXON_BIN):
            self.skipTest(f"{AXON_BIN} is not built")
        help_text = subprocess.run([AXON_BIN, "serve", "--help"], capture_output=True, text=True,
                                   timeout=30, check=True).stdout
        flags = set(re.findall(r"^\s+(--[a-z-]+)", help_text, re.M)) - {"--help"}
        variables = set(re.findall(r"\b(AXON_[A-Z_]+)", help_text))
        self.assertGreater(len(flags), 10)
        operations = read(os.path.join(ROOT, "docs", "operations.md"))
        example = read(os.path.join(ROOT, "deploy", "axon-webhooks.env"))
        for flag in flags:
            self.assertIn(f"`{flag}", operations, f"docs/operations.md does not document {flag}")
            self.assertIn(flag, example, f"deploy/axon-webhooks.env does not mention {flag}")
        for variable in variables:
            self.assertIn(f"`{variable}", operations, f"docs/operations.md lacks {variable}")
            self.assertRegex(example, rf"(?m)^#{variable}=", f"the example lacks {variable}")


class SystemdUnit(unittest.TestCase):
    def test_unit_passes_systemd_analyze_verify(self):
        analyze = shutil.which("systemd-analyze")
        if not analyze:
            self.skipTest("systemd-analyze is not installed (Debian package systemd)")
        if not os.path.exists(AXON_BIN):
            self.skipTest(f"{AXON_BIN} is not built")
        unit = read(os.path.join(ROOT, "deploy", "axon-webhooks.service"))
        self.assertIn("ExecStart=/usr/local/bin/axon-webhooks serve", unit)
        for hardening in ("DynamicUser=yes", "StateDirectory=", "ProtectSystem=strict",
                          "NoNewPrivileges=yes", "PrivateTmp=yes", "RestrictAddressFamilies=",
                          "SystemCallFilter=@system-service", "EnvironmentFile="):
            self.assertIn(hardening, unit)
        # verify checks that ExecStart is executable: point it at the binary just built.
        with tempfile.TemporaryDirectory(prefix="axon-unit-") as tmp:
            path = os.path.join(tmp, "axon-webhooks.service")
            with open(path, "w", encoding="utf-8") as f:
                f.write(unit.replace("/usr/local/bin/axon-webhooks", os.path.abspath(AXON_BIN)))
            out = subprocess.run([analyze, "verify", path], capture_output=True, text=True,
                                 timeout=60, cwd=tmp)
        # Unknown or misspelt settings are only warnings: any output is a failure.
        self.assertEqual((out.returncode, out.stderr.strip(), out.stdout.strip()), (0, "", ""))


if __name__ == "__main__":
    unittest.main()
