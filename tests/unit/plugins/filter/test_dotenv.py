"""The dotenv filter reads a .env as docker compose (compose-go v2.9.1) does.

Every text here is also read by `docker compose config` in tests/integration/test_env_parity.py, which checks that
the filter reads it the same (or refuses it where compose does); these run without Docker.
"""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gpt371.infra.plugins.filter.dotenv import dotenv


READS = [
    # Issue 13: compose drops an inline comment (a space, then #) from an unquoted value.
    ("KEY=value # comment\n", {"KEY": "value"}),
    ("KEY=value#not a comment\n", {"KEY": "value#not a comment"}),
    ("KEY=value\t# a tab does not start a comment\n", {"KEY": "value\t# a tab does not start a comment"}),
    # Spaces after the = go before the value starts: this # has no space before it.
    ("KEY= # not a comment\n", {"KEY": "# not a comment"}),
    ("KEY=#novalue\n", {"KEY": "#novalue"}),
    ("KEY=  spaced   \n", {"KEY": "spaced"}),
    ('KEY="a # b" # c\n', {"KEY": "a # b"}),
    ("KEY='a # b' # c\n", {"KEY": "a # b"}),
    # Issue 13: escapes. Single quotes are literal but for \' ; double quotes take compose's escapes.
    ("KEY='a\\\\b'\n", {"KEY": "a\\\\b"}),
    ("KEY='it\\'s'\n", {"KEY": "it's"}),
    ("KEY='a\\nb'\n", {"KEY": "a\\nb"}),
    ('KEY="a\\\\b"\n', {"KEY": "a\\b"}),
    ('KEY="a\\nb\\tc\\rd"\n', {"KEY": "a\nb\tc\rd"}),
    ('KEY="say \\"hi\\""\n', {"KEY": 'say "hi"'}),
    ('KEY="it\\\'s"\n', {"KEY": "it\\'s"}),
    ('KEY="\\a\\b\\f\\v\\c\\q"\n', {"KEY": "\a\b\f\v\\c\\q"}),
    ('KEY="\\0101\\0\\01\\012\\0400\\0189"\n', {"KEY": "A\\\\1\\12\\400\\189"}),
    ("KEY='multi\nline'\n", {"KEY": "multi\nline"}),
    # Dollars: $$ and \$ (in double quotes) are a literal $; a $ before anything but $, {, a letter or _ is literal.
    ('KEY="\\$A $$B"\n', {"KEY": "$A $B"}),
    ("KEY=$$A\n", {"KEY": "$A"}),
    ("KEY='$A ${B}'\n", {"KEY": "$A ${B}"}),
    ("KEY=$ a$ $1 $( $-\n", {"KEY": "$ a$ $1 $( $-"}),
    # Go's case folding makes U+017F and U+212A name characters; they name unset variables here.
    ('KEY="$\u017f $\u212a $\u00e9"\n', {"KEY": "  $\u00e9"}),
    # Interpolation from the keys above and the operators.
    ("A=1\nB=$A ${A} ${A}x $Ax\n", {"A": "1", "B": "1 1 1x "}),
    ("A=1\nB=${A:-d} ${A-d} ${A:+s} ${A+s} ${A:?m} ${A?m}\n", {"A": "1", "B": "1 1 s s 1 1"}),
    ("A=\nB=${A:-d}|${A-d}|${A:+s}|${A+s}|${A?m}\n", {"A": "", "B": "d|||s|"}),
    ("B=${U:-d}|${U-d}|${U:+s}|${U+s}|${U}|$U\n", {"B": "d|d||||"}),
    ("A=x\nB=${A:-${C:-deep}}\n", {"A": "x", "B": "x"}),
    ("B=${U:-${C:-deep}}\n", {"B": "deep"}),
    ("B=${U:-a}b}\n", {"B": "ab}"}),
    ('A=1\nB="${A}"\nC=\'${A}\'\n', {"A": "1", "B": "1", "C": "${A}"}),
    # Syntax around the key.
    ("export KEY=v\n", {"KEY": "v"}),
    ("export  KEY = v\n", {"KEY": "v"}),
    ("KEY: v\n", {"KEY": "v"}),
    (" KEY = v \n", {"KEY": "v"}),
    ("A.b-c[0]=1\n", {"A.b-c[0]": "1"}),
    ("KEY=a\r\nOTHER=b\r\n", {"KEY": "a", "OTHER": "b"}),
    ("\ufeffKEY=bom\n", {"KEY": "bom"}),
    ("# only\n\n   \n# comments\n", {}),
    ("KEY\n", {}),
    ("KEY=a\nKEY\n", {"KEY": "a"}),
    ("export \n", {}),
    # Only a line feed ends a line: Python's other line breaks are characters of the value.
    ("KEY=a\u2028b\u0085c\x1cd\n", {"KEY": "a\u2028b\u0085c\x1cd"}),
    ("KEY=a\x0bb\x0c\n", {"KEY": "a\x0bb"}),
    ("KEY=a\u00a0\n", {"KEY": "a"}),
    ("KEY=\u00a0a\n", {"KEY": "a"}),
    ("KEY='\u00a0a\u00a0'\n", {"KEY": "\u00a0a\u00a0"}),
    ("KEY=\u00e9\u65e5\U0001F600\n", {"KEY": "\u00e9\u65e5\U0001F600"}),
]

REFUSES = [
    ('DB_HOST=x\nKEY="unterminated-secret\n', 2, "unterminated quoted value"),
    ("DB_HOST=x\nKEY='unterminated-secret\n", 2, "unterminated quoted value"),
    ("DB_HOST=x\nA B=secret-value\n", 2, "key cannot contain a space"),
    ("K!=secret-value\n", 1, "unexpected character"),
    ("B=${U:?secret-value}\n", 1, "required variable U is missing a value"),
    ("B=${U?}\n", 1, "required variable U"),
    ("B=secret-value${\n", 1, "invalid interpolation"),
    ("B=${}\n", 1, "invalid interpolation"),
    ("B=${1}\n", 1, "invalid interpolation"),
    ('A=1\nB="x" \'secret-value\'\n', 2, "unexpected character"),  # nothing may follow a closing quote
    ("A=1\n\n# c\nB='a\nb'\nC='unterminated-secret\n", 6, "unterminated quoted value"),
]


@pytest.mark.parametrize("text, expected", READS)
def test_reads_as_compose(text, expected):
    assert dotenv(text) == expected


APP_ENV_FORMS = [
    # The four forms app_env writes (see the role README).
    ("plain-value_1.2:3@4%5+6,7=8/9", "K=plain-value_1.2:3@4%5+6,7=8/9"),
    ("a b #c $HOME ${X} $$ \"q\"", "K='a b #c $HOME ${X} $$ \"q\"'"),
    ("it's a \\ \"x\" $ (1) #", "K=\"it's a \\\\ \\\"x\\\" $ (1) #\""),
    ("it's $HOME \\x", "K='it\\'s $HOME \\x'"),
]


@pytest.mark.parametrize("value, line", APP_ENV_FORMS)
def test_reads_back_what_app_env_writes(value, line):
    assert dotenv("# header\n" + line + "\n") == {"K": value}


def test_environment_wins_over_the_file_and_fills_a_bare_key():
    text = "A=file\nB=${A}-$C\nC\nD\n"
    assert dotenv(text, {"A": "env", "C": 3}) == {"A": "file", "B": "env-3", "C": "3"}


def test_keeps_the_order_of_the_file_and_the_last_value():
    assert list(dotenv("B=1\nA=2\nB=3\n").items()) == [("B", "3"), ("A", "2")]


@pytest.mark.parametrize("text, line, reason", REFUSES)
def test_refuses_what_compose_refuses_naming_the_line_only(text, line, reason):
    with pytest.raises(AnsibleFilterError) as err:
        dotenv(text)
    message = str(err.value)
    assert "line %d" % line in message and reason in message
    assert "secret-value" not in message and "unterminated-secret" not in message


@pytest.mark.parametrize("bad", [b"A=1", None, 42])
def test_wants_text(bad):
    with pytest.raises(AnsibleFilterError):
        dotenv(bad)


def test_environment_must_be_a_dict():
    with pytest.raises(AnsibleFilterError):
        dotenv("A=1\n", ["A"])
