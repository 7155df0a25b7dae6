"""Channel file sources (TOML): what they build, and one-line reasons for bad ones."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simpleos.channel import (IPC, PROCESS, ChannelSourceError, Criterion, build_source, load_source, parse,
                              serialize)

HEADER = 'channel = 291\ntemplate_type = "IPC"\ncontent_version = 31\n'


def test_unlisted_fields_are_wildcards_and_names_resolve():
    cf = build_source(HEADER + '[[instance]]\nid = 7\naction = "deny"\n'
                      '[[instance.criterion]]\nfield = "creator_pid"\nkind = "int"\nvalue = 42\n')
    assert (cf.channel, cf.template_type, cf.field_count, cf.content_version) == (291, 2, 21, 31)
    criteria = cf.instances[0].criteria
    assert len(criteria) == 21 and criteria[2] == Criterion.integer(42)
    assert all(c.is_wildcard for i, c in enumerate(criteria) if i != 2)
    assert cf.instances[0].action == 1


def test_fields_by_index_type_by_number_and_inline_criteria():
    cf = build_source('channel = 292\ntemplate_type = 1\ncontent_version = 2\n'
                      '[[instance]]\nid = 1\naction = "notify"\n'
                      'criterion = [{ field = 0, kind = "prefix", value = "/bin/" },'
                      ' { field = 7, kind = "equals", value = "ACME" }]\n')
    assert cf.template_type == PROCESS.number and cf.field_count == 8
    assert cf.instances[0].criteria[0] == Criterion.prefix("/bin/")
    assert cf.instances[0].criteria[7] == Criterion.equals("ACME")


def test_field_count_can_be_overridden_and_no_instances_is_fine():
    cf = build_source(HEADER + "field_count = 20\n")
    assert cf.field_count == 20 and cf.instances == ()


BAD_SOURCES = {
    "syntax": ("channel = \n", "TOML syntax error: "),
    "missing channel": ('template_type = 2\ncontent_version = 1\n', "missing 'channel'"),
    "typo key": (HEADER + "chanel = 3\n", "unknown key 'chanel' in top level (did you mean 'channel'?)"),
    "type name": ('channel = 1\ntemplate_type = "PIPE"\ncontent_version = 1\n', "unknown template_type 'PIPE'"),
    "unknown type needs count": ('channel = 1\ntemplate_type = 9\ncontent_version = 1\n', "'field_count' must"),
    "channel range": (HEADER.replace("291", "70000"), "channel 70000 out of range"),
    "string channel": (HEADER.replace("291", '"291"'), "channel must be an integer"),
    "no id": (HEADER + '[[instance]]\naction = "deny"\n', "instance #1: missing 'id'"),
    "bad action": (HEADER + '[[instance]]\nid = 5\naction = "block"\n', "instance 5: bad action 'block'"),
    "no action": (HEADER + '[[instance]]\nid = 5\n', "instance 5: missing 'action'"),
    "unknown field": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                      'field = "pipe_nam"\nkind = "equals"\nvalue = "x"\n',
                      "instance 5: unknown field name 'pipe_nam' for IPC (did you mean 'pipe_name'?)"),
    "index range": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                    'field = 21\nkind = "equals"\nvalue = "x"\n', "field index 21 out of range"),
    "bad kind": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                 'field = 0\nkind = "regex"\nvalue = "x"\n', "bad kind 'regex'"),
    "int needs int": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                      'field = 2\nkind = "int"\nvalue = "x"\n', "value must be an integer"),
    "string needs string": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                            'field = 0\nkind = "equals"\nvalue = 3\n', "needs a string value"),
    "no value": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
                 'field = 0\nkind = "equals"\n', "kind equals needs a 'value'"),
    "NUL": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n[[instance.criterion]]\n'
            'field = 0\nkind = "equals"\nvalue = "a\\u0000b"\n', "NUL character"),
    "twice": (HEADER + '[[instance]]\nid = 5\naction = "deny"\n'
              'criterion = [{ field = 0, kind = "equals", value = "a" }, { field = "pipe_name", kind = "wildcard" }]\n',
              "field index 0 has more than one criterion"),
    "instance not a table": (HEADER + "instance = 3\n", "'instance' must be an array of tables"),
}


@pytest.mark.parametrize("case", BAD_SOURCES, ids=list(BAD_SOURCES))
def test_bad_sources_get_a_one_line_reason(case):
    text, reason = BAD_SOURCES[case]
    with pytest.raises(ChannelSourceError) as error:
        build_source(text, origin="lab.toml")
    message = str(error.value)
    assert message.startswith("lab.toml: ") and reason in message and "\n" not in message


def test_syntax_error_names_the_line():
    with pytest.raises(ChannelSourceError, match="line 2"):
        build_source("channel = 1\ncontent_version = = 3\n")


def test_missing_and_non_utf8_source_files(tmp_path):
    with pytest.raises(ChannelSourceError, match="no such file: .*nope.toml"):
        load_source(tmp_path / "nope.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"# caf\xe9\n")
    with pytest.raises(ChannelSourceError, match="not UTF-8"):
        load_source(latin)


TEXT = st.text(st.characters(min_codepoint=1, max_codepoint=0xFFFF, exclude_categories=("Cs",)), max_size=30)
SOURCE_CRITERIA = st.dictionaries(
    st.integers(0, IPC.fields_declared - 1),
    st.one_of(st.tuples(st.just("equals"), TEXT), st.tuples(st.just("prefix"), TEXT),
              st.tuples(st.just("int"), st.integers(0, (1 << 63) - 1))),
    max_size=6,
)


@given(st.lists(st.tuples(st.integers(0, (1 << 32) - 1), st.sampled_from(["notify", "deny"]), SOURCE_CRITERIA),
                max_size=4))
def test_generated_sources_build_and_round_trip(rules):
    lines = [HEADER]
    for instance_id, action, criteria in rules:
        lines.append(f'[[instance]]\nid = {instance_id}\naction = "{action}"\n')
        for index, (kind, value) in criteria.items():
            lines.append(f"[[instance.criterion]]\nfield = {index}\nkind = \"{kind}\"\nvalue = {json.dumps(value)}\n")
    cf = build_source("".join(lines))
    for (instance_id, action, criteria), instance in zip(rules, cf.instances):
        assert instance.instance_id == instance_id and instance.action_name == action
        for index, criterion in enumerate(instance.criteria):
            kind, value = criteria.get(index, ("wildcard", None))
            assert criterion.kind_name == kind
            if kind == "int":
                assert criterion.int_value == value
            elif kind != "wildcard":
                assert criterion.value == value.encode("utf-8")
    assert parse(serialize(cf)) == cf
