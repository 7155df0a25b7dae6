"""One module per sub-command of `simpleos`; each exposes register(subparsers).

Commands parse and print; they hold no kernel policy and never touch unicorn.
"""
