"""The tutorial's shell sessions and commands, as docs/tutorial.md shows
them, typed in for real.

docs/tutorial.md marks every transcript it vouches for with a comment on
the line before the block's opening fence:

    <!-- run: python manage.py shell -->  a pycon block, typed into
                                           `python manage.py shell`
    <!-- run: python -->                  a pycon block, typed into `python`
    <!-- run: console -->                 a console block: each `$ ` line is
                                           a command, the lines under it are
                                           what it prints

A pycon block is written the way doctest reads one: the `>>> ` and `... `
lines are typed, the lines under them are what Python prints. Each block
is typed into a new process through its standard input, one line after
another, as a reader types them at the prompt; an indented statement is
ended with an empty line, as at the prompt. (`python` reading from a pipe
would run the lines as a script and print nothing, so the test starts it
as `python -q -i`, which makes it answer as it does at a terminal.) The
console's prompts split what comes back into each line's output; a line of
output that starts with `>>> ` or `... ` would confuse that, and no
session here prints one. A console block's commands run one after another,
each with its standard output and error together.

What came back is compared with what the document says by doctest's
OutputChecker, with ELLIPSIS: `...` in an expected line stands for any
text (a salt, a hash, a token, a file path). An expected output must not
start with `...` right under a `>>> ` line, where it would read as a
continuation line (doctest has the same rule).

The blocks run in the document's order against one database, the way a
reader meets them:

- the development configuration (FLASK_CONFIG unset, as for a reader),
  with DEV_DATABASE_URL naming a new SQLite file in a temporary directory:
  the reader's data-dev.sqlite, new. The document's first `db upgrade`
  creates its tables;
- a SECRET_KEY of the test's own, so that no instance/secret_key is made;
  HOME in the temporary directory, where the console writes its
  .python_history;
- every `python manage.py db ...` command gets `--directory` naming a copy
  of migrations/, so that a `db migrate` that does find a change writes
  its file into the copy, never into the repository.

A test run changes no file of the repository and leaves nothing behind.
"""
import doctest
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

from bench.server import clean_environ

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCUMENT = os.path.join(ROOT, 'docs', 'tutorial.md')
TIMEOUT = 120          # seconds, for one block's process or command

# What each marker types into, after `python`.
CONSOLES = {
    'python manage.py shell': ['manage.py', 'shell'],
    'python': ['-q', '-i'],
}
MARKED_BLOCK = re.compile(
    r'^<!-- run: (?P<kind>[^>]+?) -->\n'
    r'```(?P<language>\w+)\n(?P<body>.*?)^```$', re.M | re.S)
PYCON_FENCE = re.compile(r'^```pycon$', re.M)
PROMPT = re.compile(r'>>> |\.\.\. ')

CHECKER = doctest.OutputChecker()
FLAGS = doctest.ELLIPSIS


class Step:
    """One thing typed (a statement, or a command) and what it prints."""

    def __init__(self, typed, line):
        self.typed = typed      # the lines typed, without prompts
        self.want = ''
        self.line = line        # where it starts in the document


class Block:

    def __init__(self, kind, language, line, steps):
        self.kind = kind
        self.language = language
        self.line = line
        self.steps = steps

    def __repr__(self):
        return f'<{self.language} block for {self.kind!r}, line {self.line}>'


def parse_pycon(body, first_line):
    steps = []
    for number, text in enumerate(body.splitlines(), first_line):
        if text.startswith('>>> ') or text == '>>>':
            steps.append(Step([text[4:]], number))
        elif (text.startswith('... ') or text == '...') and steps \
                and not steps[-1].want:
            steps[-1].typed.append(text[4:])
        elif steps:
            steps[-1].want += text + '\n'
        else:
            raise ValueError(f'{DOCUMENT}:{number}: output before any >>>')
    for step in steps:
        if len(step.typed) > 1 and step.typed[-1] != '':
            # At the prompt an indented statement ends with an empty line.
            step.typed.append('')
    return steps


def parse_console(body, first_line):
    steps = []
    for number, text in enumerate(body.splitlines(), first_line):
        if text.startswith('$ '):
            steps.append(Step([text[2:]], number))
        elif steps:
            steps[-1].want += text + '\n'
        else:
            raise ValueError(f'{DOCUMENT}:{number}: output before any $')
    return steps


def read_blocks(text):
    """The marked blocks of the document, in order."""
    blocks = []
    for match in MARKED_BLOCK.finditer(text):
        kind, language = match['kind'], match['language']
        # The body starts two lines below the marker.
        line = text.count('\n', 0, match.start()) + 3
        if language == 'pycon' and kind in CONSOLES:
            steps = parse_pycon(match['body'], line)
        elif language == 'console' and kind == 'console':
            steps = parse_console(match['body'], line)
        else:
            raise ValueError(f'{DOCUMENT}:{line - 2}: a {language} block '
                             f'cannot be run as {kind!r}')
        blocks.append(Block(kind, language, line, steps))
    return blocks


def outputs_after_prompts(text):
    """What a console printed after each of its prompts, in order. The
    banner before the first prompt is left out; the last item is what it
    printed on reading the end of its input."""
    start = text.find('>>> ')
    if start < 0:
        return []
    outputs = []
    at = start
    while True:
        prompt = PROMPT.match(text, at)
        if prompt is None:
            return outputs
        at = end = prompt.end()
        # The output runs to the next prompt at the start of a line, or
        # straight after this one when the line printed nothing.
        while end < len(text) and not PROMPT.match(text, end):
            newline = text.find('\n', end)
            end = len(text) if newline < 0 else newline + 1
        outputs.append(text[at:end])
        at = end


class TutorialTestCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        with open(DOCUMENT, encoding='utf-8') as f:
            cls.text = f.read()
        cls.blocks = read_blocks(cls.text)

    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.tmp = tmp.name
        self.migrations = os.path.join(self.tmp, 'migrations')
        shutil.copytree(os.path.join(ROOT, 'migrations'), self.migrations,
                        ignore=shutil.ignore_patterns('__pycache__'))
        self.env = clean_environ(
            DEV_DATABASE_URL='sqlite:///' + os.path.join(
                self.tmp, 'data-dev.sqlite'),
            SECRET_KEY=secrets.token_hex(32), HOME=self.tmp,
            FLASK_SKIP_DOTENV='1', PYTHONDONTWRITEBYTECODE='1',
            PYTHONUNBUFFERED='1')
        for name in ('PYTHONWARNINGS', 'PYTHONINSPECT'):
            self.env.pop(name, None)

    def run_python(self, argv, typed=None):
        """`python ARGV` in the project root: stdout and stderr as one."""
        return subprocess.run(
            [sys.executable, *argv], cwd=ROOT, env=self.env, input=typed,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=TIMEOUT).stdout

    def mismatch(self, step, got):
        example = doctest.Example('\n'.join(step.typed) + '\n', step.want)
        return (f'docs/tutorial.md, line {step.line}:\n'
                f'    {step.typed[0]}\n'
                + CHECKER.output_difference(example, got, FLAGS))

    # -- the two kinds of block ----------------------------------------

    def type_session(self, block):
        lines = [line for step in block.steps for line in step.typed]
        transcript = self.run_python(
            CONSOLES[block.kind], ''.join(line + '\n' for line in lines))
        outputs = outputs_after_prompts(transcript)
        # One output per line typed, and one at the end of the input.
        self.assertEqual(
            len(outputs), len(lines) + 1,
            f'{block!r}: the console stopped early; it printed:\n'
            + transcript)
        failures = []
        at = 0
        for step in block.steps:
            got = ''.join(outputs[at:at + len(step.typed)])
            at += len(step.typed)
            if not CHECKER.check_output(step.want, got, FLAGS):
                failures.append(self.mismatch(step, got))
        return failures

    def run_commands(self, block):
        failures = []
        for step in block.steps:
            argv = shlex.split(step.typed[0])
            self.assertEqual(argv[0], 'python',
                             f'{block!r}: only python commands are run')
            argv = argv[1:]
            if argv[:2] == ['manage.py', 'db']:
                argv += ['--directory', self.migrations]
            got = self.run_python(argv)
            if not CHECKER.check_output(step.want, got, FLAGS):
                failures.append(self.mismatch(step, got))
        return failures

    # -- the tests -----------------------------------------------------

    def test_every_shell_session_is_run(self):
        # A marker with a typo would leave its session untested.
        run = [b for b in self.blocks if b.language == 'pycon']
        self.assertEqual(len(PYCON_FENCE.findall(self.text)), len(run),
                         'a pycon block of docs/tutorial.md has no '
                         '<!-- run: ... --> line above it')
        kinds = {b.kind for b in self.blocks}
        self.assertEqual(kinds, set(CONSOLES) | {'console'})
        self.assertTrue(all(b.steps for b in self.blocks))

    def test_transcripts_match(self):
        for block in self.blocks:
            with self.subTest(block=block):
                if block.language == 'pycon':
                    failures = self.type_session(block)
                else:
                    failures = self.run_commands(block)
                if failures:
                    self.fail('\n\n'.join(failures))


def heading_anchors(text):
    """The anchors of a Markdown document's headings, as GitHub makes
    them, and those of its <a id="..."></a> tags."""
    anchors = set(re.findall(r'<a id="([^"]+)"></a>', text))
    seen = {}
    for heading in re.findall(r'^#+ (.+)$', text, re.M):
        slug = re.sub(r'[^\w\- ]', '', heading.lower()).replace(' ', '-')
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f'{slug}-{count}')
    return anchors


class LinksTestCase(unittest.TestCase):
    """Every link of docs/tutorial.md to a row or a section lands."""

    def test_anchors_exist(self):
        docs = os.path.dirname(DOCUMENT)
        with open(DOCUMENT, encoding='utf-8') as f:
            text = f.read()
        links = re.findall(r'\]\(([\w.-]*)#([\w-]+)\)', text)
        self.assertTrue(links)
        for target, anchor in set(links):
            with self.subTest(link=f'{target}#{anchor}'):
                if target:
                    with open(os.path.join(docs, target),
                              encoding='utf-8') as f:
                        self.assertIn(anchor, heading_anchors(f.read()))
                else:
                    self.assertIn(anchor, heading_anchors(text))


class ParserTestCase(unittest.TestCase):
    """The test's own reading of transcripts."""

    def test_outputs_after_prompts(self):
        text = ('Python 3\nApp: app\n'
                ">>> >>> True\n>>> ... ... 0\n1\n>>> 'a >>> b'\n>>> \n"
                'now exiting InteractiveConsole...\n')
        self.assertEqual(outputs_after_prompts(text), [
            '', 'True\n', '', '', '0\n1\n', "'a >>> b'\n",
            '\nnow exiting InteractiveConsole...\n'])

    def test_pycon_steps(self):
        steps = parse_pycon(
            '>>> x = 1\n>>> for i in range(2):\n...     print(i)\n0\n1\n'
            '>>> x\n1\n', 10)
        self.assertEqual([s.typed for s in steps], [
            ['x = 1'], ['for i in range(2):', '    print(i)', ''], ['x']])
        self.assertEqual([s.want for s in steps], ['', '0\n1\n', '1\n'])
        self.assertEqual([s.line for s in steps], [10, 11, 15])

    def test_ellipsis_stands_for_any_text(self):
        self.assertTrue(CHECKER.check_output(
            "'scrypt:32768:8:1$...$...'\n",
            "'scrypt:32768:8:1$abc$0123'\n", FLAGS))
        self.assertFalse(CHECKER.check_output('True\n', 'False\n', FLAGS))
