package main

import (
	"context"
	"fmt"
	"log/slog"
	"os/user"
	"strings"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// This file: the people's database logins (user add, user list, user disable).

func bindUserAdd(fs *flag.FlagSet) handler {
	role := fs.String("role", "", "viewer, operator or approver")
	return func(ctx context.Context, c *call) error {
		name := c.args[0]
		// Refused before the database is opened.
		if err := store.CheckLoginName(name); err != nil {
			return err
		}
		if _, ok := store.LoginRoles[*role]; !ok {
			if *role == "" {
				return fmt.Errorf("user add needs --role: viewer, operator or approver")
			}
			return fmt.Errorf("no such role %q: use viewer, operator or approver", *role)
		}
		return c.serve(ctx, func(s *ops.Service) error {
			if err := s.AddUser(ctx, name, *role); err != nil {
				return err
			}
			slog.Info("login added", "login", name, "role", *role, "by", c.g.operator)
			fmt.Fprintf(c.out, "login %s added as %s\n", name, *role)
			if s.DB.Embedded() {
				// Peer authentication: the login is only reachable by the OS
				// user of that name, in the console group.
				if _, err := user.Lookup(name); err != nil {
					fmt.Fprintf(c.out, "there is no OS user %s on this host yet; make one in the group %s: useradd -G %s %s\n", name, store.ConsoleGroup, store.ConsoleGroup, name)
				} else {
					fmt.Fprintf(c.out, "%s logs in as themselves: runuser -u %s -- bin/console … (in the group %s)\n", name, name, store.ConsoleGroup)
				}
			}
			return nil
		})
	}
}

func bindUserList(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			ls, err := s.Users(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if ls == nil {
					ls = []store.Login{}
				}
				return printJSON(c.out, ls)
			}
			tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "LOGIN\tROLES\tENABLED")
			for _, l := range ls {
				enabled := "yes"
				if !l.Enabled {
					enabled = "no (disabled)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", ui.Inert(l.Name), strings.Join(l.Roles, ", "), enabled)
			}
			return tw.Flush()
		})
	}
}

func bindUserDisable(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		name := c.args[0]
		if err := store.CheckLoginName(name); err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			if err := s.DisableUser(ctx, name); err != nil {
				return err
			}
			slog.Info("login disabled", "login", name, "by", c.g.operator)
			fmt.Fprintf(c.out, "login %s disabled: it can no longer log in; its requests, approvals and log entries stay\n", name)
			return nil
		})
	}
}
