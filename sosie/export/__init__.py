"""Take the double elsewhere: character cards, Modelfiles, scripts, subtitles, packages, speech."""
