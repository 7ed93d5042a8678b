import AurumCLI

AurumCommand.main()
