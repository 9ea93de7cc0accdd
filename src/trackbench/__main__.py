from trackbench.cli.main import main

main()
