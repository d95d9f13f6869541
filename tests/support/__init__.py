"""What the test suites (tests/, e2e/) and the benchmarks (bench/) use besides the app: test
databases, stand-in mail, SMS and S3 servers, a PostgreSQL server a test may crash, free
ports, waiting for a condition, images. Nothing under src/ imports it."""
