from xstore.cli import main

main()
