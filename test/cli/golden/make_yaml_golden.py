#!/usr/bin/env python3
"""Writes the golden files that pin the CLI's YAML emitter (src/cli/common/yamlEmit.ts) to PyYAML.

For each case below, writes yaml/<name>.json (the input, as JSON text) and yaml/<name>.yaml (what PyYAML writes for
it with the options labtasker v1 uses for `task ls` / `worker ls`: labtasker/client/core/cli_utils.py,
ls_yaml_format_iter, `yaml.dump([record], indent=2, sort_keys=False, allow_unicode=True)`).
test/cli/yamlGolden.test.ts checks the emitter against every pair.

Run with the compat suite's interpreter, which has labtasker 1.0.1 and its PyYAML:
    test/compat/.venv/bin/python test/cli/golden/make_yaml_golden.py

JSON cannot hold a datetime, so {"$datetime": "<ISO 8601>"} stands for one (Python: datetime.fromisoformat; the test:
a YamlTimestamp, which is how the CLI hands datetimes to the emitter).
"""
import datetime
import json
import pathlib

import yaml

OUT = pathlib.Path(__file__).resolve().parent / "yaml"
OPTIONS = dict(indent=2, sort_keys=False, allow_unicode=True)

LONG_WORDS = " ".join(f"word{i}" for i in range(40))
LONG_NO_SPACE = "x" * 120

CASES = {
    # The shape v1 prints: a one-item list holding a task record.
    "task_record": """[{"task_id": "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f", "queue_id": "q1", "status": "running",
        "task_name": null, "created_at": {"$datetime": "2025-07-01T12:00:00.908000"},
        "start_time": {"$datetime": "2025-07-01T12:00:05"}, "last_heartbeat": null,
        "last_modified": {"$datetime": "2025-07-01T12:00:05.000123"}, "heartbeat_timeout": 60.0, "task_timeout": null,
        "max_retries": 3, "retries": 0, "priority": 10, "metadata": {"tags": ["v1", "exp"], "note": "baseline run"},
        "args": {"lr": 0.001, "model": "resnet50", "layers": [64, 128, 256], "opt": {"name": "adam", "betas": [0.9, 0.999]}},
        "cmd": "python train.py --lr 0.001", "summary": {}, "worker_id": "w-1"}]""",
    "worker_record": """[{"worker_id": "w-1", "queue_id": "q1", "status": "active", "worker_name": "gpu-node-3",
        "metadata": {"gpu": "A100", "slots": 4}, "retries": 0, "max_retries": 3,
        "created_at": {"$datetime": "2025-07-01T11:59:00.5"}, "last_modified": {"$datetime": "2025-07-01T11:59:00.5"}}]""",
    "nested": """{"a": {"b": {"c": {"d": [1, {"e": [2, [3, [4, {"f": "g"}]]]}]}}},
        "list_of_lists": [[1, 2], [3], [[4, 5], [6]]], "list_of_dicts": [{"x": 1, "y": 2}, {"z": {"w": [true, null]}}],
        "dict_in_list_in_dict": {"k": [{"kk": {"kkk": "v"}}]}}""",
    "root_list_of_scalars": """[1, "two", 3.0, null, true, "", "three four"]""",
    "root_nested_lists": """[[[]], [{}], [[1, [2, [3]]]], [{"a": [[1]]}]]""",
    "floats": """{"zero": 0.0, "neg_zero": -0.0, "one": 1.0, "three": 3.0, "tenth": 0.1, "third": 0.3333333333333333,
        "small": 1e-05, "smaller": 1.5e-10, "tiny": 5e-324, "big": 1e16, "bigger": 1.5e300, "huge": 1.7976931348623157e308,
        "just_below_1e16": 9999999999999998.0, "just_below_1e-4": 0.0001, "e_minus_5": 0.00001234, "neg": -2.5,
        "many_digits": 123456789.123456789, "hundred": 100.0, "in_list": [0.5, -0.5, 2.0, 1e22]}""",
    "integers": """{"zero": 0, "neg": -1, "big": 12345678901234567890, "bigger": -98765432109876543210123,
        "max_safe": 9007199254740991, "past_safe": 9007199254740993, "in_list": [1, -2, 30000000000]}""",
    "null_and_booleans": """{"none": null, "yes": true, "no": false, "list": [null, true, false], "nested": {"n": null}}""",
    "strings_like_numbers": """{"int": "1", "neg": "-1", "plus": "+1", "float": "0.1", "exp": "1e3", "exp_signed": "1.0e+3",
        "dot_five": ".5", "trailing_dot": "1.", "hex": "0x1F", "octal": "017", "binary": "0b101", "underscore": "1_000",
        "sexagesimal": "1:30", "sexagesimal_float": "1:30.5", "inf": ".inf", "neg_inf": "-.inf", "nan": ".nan",
        "word_inf": "inf", "word_nan": "NaN", "date": "2025-01-01", "datetime": "2025-01-01 10:00:00",
        "iso": "2025-01-01T10:00:00Z", "time": "12:30:00", "version": "1.2.3", "ip": "10.0.0.1", "phone": "555-1234",
        "leading_zero": "007", "eight": "08", "one_e": "1e", "dash": "-"}""",
    "strings_like_booleans_and_null": """{"y": "y", "n": "n", "Y": "Y", "yes": "yes", "Yes": "Yes", "YES": "YES", "no": "no",
        "on": "on", "On": "On", "off": "OFF", "true": "true", "True": "True", "false": "FALSE", "null": "null",
        "Null": "Null", "NULL": "NULL", "tilde": "~", "empty": "", "merge": "<<", "equals": "=", "yess": "yess",
        "nulll": "nulll"}""",
    "strings_with_indicators": """{"colon_space": "a: b", "colon_end": "a:", "colon_inside": "a:b", "colon_start": ":a",
        "colon_alone": ":", "hash_after_space": "x #y", "hash_inside": "x#y", "hash_start": "#x", "dash_space": "- x",
        "dash_word": "-x", "question_space": "? x", "question_word": "?x", "brackets": "[a]", "braces": "{a}",
        "comma_start": ",a", "comma_inside": "a,b", "amp": "&a", "star": "*a", "bang": "!a", "pipe": "|", "gt": ">",
        "single_quote_start": "'q'", "double_quote_start": "\\"q\\"", "percent": "%x", "at": "@x", "backtick": "`x",
        "doc_start": "--- x", "doc_end": "...", "doc_end_word": "...x", "leading_space": " lead",
        "trailing_space": "trail ", "only_space": " ", "tab": "tab\\there", "apostrophe": "it's",
        "backslash": "back\\\\slash", "quote_inside": "say \\"hi\\"", "url": "http://example.com/a?b=c#d",
        "path": "/home/user/data", "glob": "*.txt", "braces_inside": "a{b}c"}""",
    "unicode": """{"accents": "héllo wörld", "cjk": "日本語のテキスト", "emoji": "emoji 😀 here", "greek_key_αβγ": "λ",
        "nbsp": "a\\u00a0b", "zero_width": "a\\u200bb", "nel": "a\\u0085b", "line_sep": "a\\u2028b", "para_sep": "a\\u2029b",
        "bom": "\\ufeffbom", "del": "a\\u007fb", "control": "a\\u0001b", "escape": "\\u001b[31mred\\u001b[0m",
        "bell": "\\u0007", "private_use": "\\ue000", "replacement": "\\ufffd", "c1": "\\u0090",
        "astral_in_double": "\\u0001 😀", "rtl": "שלום"}""",
    "multiline_strings": """{"two_lines": "line1\\nline2", "trailing_newline": "text\\n", "leading_newline": "\\ntext",
        "blank_line": "a\\n\\nb", "indented_second": "a\\n  b", "space_before_break": "a \\nb", "crlf": "a\\r\\nb",
        "cr": "a\\rb", "only_newline": "\\n", "many": "one\\ntwo\\nthree\\nfour",
        "long_multiline": "first line of a long paragraph that goes on and on and on past the width limit\\nsecond line that is also rather long, certainly longer than eighty characters in all",
        "in_list": ["x\\ny", "p\\n\\nq"], "tab_and_newline": "a\\tb\\nc"}""",
    "long_strings": """{"words": "%(words)s", "no_spaces": "%(nospace)s",
        "words_quoted": "'%(words)s", "words_colon": "key: %(words)s", "words_double": "\\u0001 %(words)s",
        "double_spaces": "aaaaaaaaaa  bbbbbbbbbb  cccccccccc  dddddddddd  eeeeeeeeee  ffffffffff  gggggggggg  hhhhhhhhhh  iiiiiiiiii",
        "exactly_80": "%(eighty)s", "deep": {"deeper": {"deepest": "%(words)s"}},
        "in_list": ["%(words)s", ["%(words)s"]], "%(longkey)s": "value of a long key",
        "short_key_long_double": "\\t%(words)s", "double_no_spaces": "\\u0001%(nospace)s"}""" % {
        "words": LONG_WORDS, "nospace": LONG_NO_SPACE, "eighty": ("abcd efgh " * 8).strip(),
        "longkey": "k" * 100},
    "empty_collections": """{"dict": {}, "list": [], "list_of_empty": [[], {}], "nested": {"a": {}, "b": []},
        "empty_string": "", "deep": [{"x": []}]}""",
    # No key that is an array index ("1"): JavaScript objects put those first, whatever the order in the JSON.
    "keys": """{"yes": 1, "no": 2, "on": 3, "null": 4, "01": 5, "0.5": 6, "a: b": 7, "with space": 8, "-": 9, "-x": 10,
        "key#x": 11, "key #x": 12, "日本": 13, "'quoted'": 14, "?": 15, "[k]": 16, "": 17, "multi\\nline": 18,
        "%(k128)s": 19, "%(k127)s": 20, "%(k123)s": 21, "%(k122)s": 22, "trailing ": 23, "tab\\tkey": 24,
        "nested": {"true": {"false": "x"}}}""" % {"k128": "k" * 128, "k127": "k" * 127, "k123": "k" * 123, "k122": "k" * 122},
    "root_dict": """{"only": "mapping", "at": "the root"}""",
    "root_empty_list": """[]""",
    "root_empty_dict": """{}""",
}


def decode(text):
    def hook(obj):
        if list(obj.keys()) == ["$datetime"]:
            return datetime.datetime.fromisoformat(obj["$datetime"])
        return obj

    return json.loads(text, object_hook=hook)


def main():
    OUT.mkdir(exist_ok=True)
    for old in list(OUT.glob("*.json")) + list(OUT.glob("*.yaml")):
        old.unlink()
    for name, text in CASES.items():
        value = decode(text)
        (OUT / f"{name}.json").write_text(text + "\n", encoding="utf-8")
        # newline="" keeps PyYAML's line breaks (including \x85, \u2028 and \u2029 inside quoted scalars) as they are.
        with open(OUT / f"{name}.yaml", "w", encoding="utf-8", newline="") as out:
            out.write(yaml.dump(value, **OPTIONS))
    print(f"wrote {len(CASES)} cases with PyYAML {yaml.__version__} to {OUT}")


if __name__ == "__main__":
    main()
