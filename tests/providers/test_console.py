from smsgate import Gateway, Message


def test_console_prints_each_recipient(capsys):
    with Gateway({"console": {}}) as gateway:
        result = gateway.send(
            Message(to=["13800138000", "13900139000"], template="SMS_1", sign_name="Acme", params={"code": "4321"})
        )
    out = capsys.readouterr().out
    assert result.ok and out.count("--- SMS") == 2
    assert (
        "to:       +8613800138000" in out
        and "template: SMS_1" in out
        and "sign:     Acme" in out
        and "code=4321" in out
    )
    assert result.recipients[0].message_id in out


def test_console_renders_text_to_stderr(capsys):
    with Gateway({"console": {"stream": "stderr"}}) as gateway:
        gateway.send(Message(to="13800138000", text="Hello ${name}", params={"name": "Li"}))
    captured = capsys.readouterr()
    assert "text:     Hello Li" in captured.err and captured.out == ""
