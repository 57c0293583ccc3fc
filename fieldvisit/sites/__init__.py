"""Sites: the places a district evaluation checks (schools, parks, Puspaga …); they live across rounds."""
