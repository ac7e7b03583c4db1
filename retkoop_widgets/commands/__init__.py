"""CLI sub-commands, one module per part of the product (see ``cli.COMMAND_MODULES``)."""
