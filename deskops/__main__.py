from deskops.cli import main

raise SystemExit(main())
