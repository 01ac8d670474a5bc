"""`python -m vertex_tuning.emulator`: see command.main for the flags."""

from vertex_tuning.emulator.command import main

if __name__ == "__main__":
    main(prog_name="python -m vertex_tuning.emulator")
