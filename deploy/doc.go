// Package deploy holds eyelevel's deployment kit: the Dockerfile, the
// compose file with two nodes, PostgreSQL, NATS, Caddy and coturn, and the
// systemd unit. It has no code; its tests check what the files promise
// (docs/operations.md, "Deploying").
package deploy
