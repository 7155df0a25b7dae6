"""Template types: the declared fields and the inputs the sensor supplies (the CF291 gap)."""
from __future__ import annotations

from simpleos.channel import (FIELDS_DECLARED, INPUTS_SUPPLIED, IPC, IPC_FIELDS_DECLARED, IPC_INPUTS_SUPPLIED,
                              PROCESS, TEMPLATE_IPC, TEMPLATE_PROCESS, template_type, template_type_named)


def test_ipc_declares_21_fields_but_the_sensor_supplies_20():
    assert (IPC.number, IPC_INPUTS_SUPPLIED, IPC_FIELDS_DECLARED) == (2, 20, 21)
    assert INPUTS_SUPPLIED == {1: 8, 2: 20} and FIELDS_DECLARED == {1: 8, 2: 21}
    assert IPC.field(20).name == "field_21" and IPC.field(21) is None


def test_ipc_field_order_follows_the_spec():
    names = [f.name for f in IPC.fields]
    assert names[:3] == ["pipe_name", "creator_image_path", "creator_pid"]
    assert names[14] == "owner_sid" and names[19] == "creator_tree_depth"
    assert [f.index for f in IPC.fields] == list(range(21))
    assert not IPC.field_named("creator_pid").is_string and IPC.field_named("pipe_name").is_string


def test_process_is_8_by_8():
    assert (TEMPLATE_PROCESS, PROCESS.inputs_supplied, PROCESS.fields_declared) == (1, 8, 8)
    assert PROCESS.field(0).name == "image_path" and not PROCESS.field_named("pid").is_string


def test_lookup_by_number_and_name():
    assert template_type(TEMPLATE_IPC) is IPC and template_type(3) is None
    assert template_type_named("ipc") is IPC and template_type_named("nope") is None
