from updater.cli import main

main()
