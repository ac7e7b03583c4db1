"""CLI sub-commands, one module per part of the product (see ``cli.COMMAND_MODULES``)."""


def french_help(parser) -> None:
    """``-h/--help`` with a French help line (argparse's own says « show this help message »):
    every parser is made with ``add_help=False`` and gets this instead."""
    parser.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")
