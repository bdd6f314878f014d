package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"eyelevel"
	"eyelevel/store"
)

// TestUserAddStaff: user add creates care-point workers and organization
// managers of an organization named by its slug, and refuses --org with
// other roles and a missing or unknown organization with a clear message.
func TestUserAddStaff(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	org := eyelevel.Organization{ID: eyelevel.NewID(), Name: "Shelter North", Slug: "shelter-north", CreatedAt: time.Now()}
	if err := db.CreateOrganization(ctx, org); err != nil {
		t.Fatal(err)
	}
	db.Close()

	env := func(string) string { return "" }
	add := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(ctx, append([]string{"eyelevel", "user", "add", "--data", dir}, args...), env, strings.NewReader("correct horse battery\n"), &out, io.Discard)
		return out.String(), err
	}
	if out, err := add("--role", "carepoint", "--org", "shelter-north", "--username", "worker-1", "--display-name", "Amina"); err != nil || !strings.Contains(out, `created carepoint "worker-1"`) {
		t.Fatalf("add care-point worker: %v %q", err, out)
	}
	if _, err := add("--role", "orgadmin", "--org", "shelter-north", "--username", "manager-1"); err != nil {
		t.Fatalf("add manager: %v", err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--role", "carepoint", "--username", "no-org"}, "--org is required"},
		{[]string{"--role", "admin", "--org", "shelter-north", "--username", "admin-org"}, "--org is only for"},
		{[]string{"--role", "carepoint", "--org", "nowhere", "--username", "lost-worker"}, `no organization with the slug "nowhere"`},
		{[]string{"--role", "carepoint", "--org", "shelter-north", "--username", "worker-1"}, "taken"},
	} {
		if _, err := add(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err %v, want mention of %q", c.args, err, c.want)
		}
	}

	db, err = store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	staff, err := db.OrganizationStaff(ctx, org.ID)
	if err != nil || len(staff) != 2 {
		t.Fatalf("staff %+v %v", staff, err)
	}
	if staff[0].DisplayName != "Amina" || staff[0].Role != eyelevel.RoleCarePoint || staff[1].Role != eyelevel.RoleOrgAdmin {
		t.Fatalf("staff %+v", staff)
	}
}
