"""`python -m customer_async` runs the command line."""

from customer_async.cli import main

main()
