from smsgate import cli


def test_every_public_module_is_a_registered_command_group(runner):
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("send", "log", "providers", "check"):
        assert command in result.output
