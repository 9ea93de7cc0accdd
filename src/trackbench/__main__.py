from trackbench.cli import main

main()
