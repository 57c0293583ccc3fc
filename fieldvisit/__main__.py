from fieldvisit.cli import main

raise SystemExit(main())
