package am

import (
	"context"
	"fmt"

	"github.com/rsatui/rsatui/internal/rsa/amproto"
	"github.com/rsatui/rsatui/internal/rsa/soapenc"
)

// Agent is a ListAgentDTO: where people authenticate (a VPN, a web
// portal, a Windows logon).
type Agent struct {
	GUID, Name string
	Type       int
	Address    string
	// Restricted: only the members of the groups linked to it get in.
	Restricted bool
	Enabled    bool
}

// Group is a GroupDTO: an identity-source group AM knows.
type Group struct {
	GUID, Name string
}

// AccessInfo is a TestAccessInfoDto: may a person authenticate at an
// agent now, through which group, when, and offline.
type AccessInfo struct {
	Granted     bool
	Agent       string
	Group       string // the linked group that grants it (restricted agents)
	AccessHours string // that group's access times ("" : any time)
	// OfflineDays is how many days of offline authentication the agent
	// downloads (0: none); OfflineAllowed, OfflineEAPasscode and
	// OfflineEATokencode are oadAllowed, oeapAllowed, oeatAllowed.
	OfflineDays                           int
	OfflineAllowed                        bool
	OfflineEAPasscode, OfflineEATokencode bool
}

// Agents lists the agents (SearchAgentsCommand with an empty filter).
func (c *Client) Agents(ctx context.Context) ([]Agent, error) {
	return query(ctx, c, command(amproto.SearchAgentsCommand, emptyFilter("filter"), soapenc.Int("limit", 1000)),
		func(reply *soapenc.Value) ([]Agent, error) { return decodeList(reply.Field("agents"), decodeAgent) })
}

func decodeAgent(v *soapenc.Value) (Agent, error) {
	if err := expectType(v, amproto.ListAgentDTO); err != nil {
		return Agent{}, err
	}
	r := reader{v: v}
	a := Agent{GUID: r.str("guid"), Name: r.str("name"), Type: r.int("agentType"), Address: r.str("primaryAddress"),
		Restricted: r.bool("restriction"), Enabled: r.bool("enabled")}
	return a, r.err
}

// AgentGroups lists the groups linked to an agent (ListGroupsByAgentCommand).
func (c *Client) AgentGroups(ctx context.Context, agentGUID string) ([]Group, error) {
	return query(ctx, c, command(amproto.ListGroupsByAgentCommand, soapenc.Str("agentId", agentGUID)),
		func(reply *soapenc.Value) ([]Group, error) {
			return decodeList(reply.Field("groups"), func(v *soapenc.Value) (Group, error) {
				if err := expectType(v, amproto.GroupDTO); err != nil {
					return Group{}, err
				}
				r := reader{v: v}
				return Group{GUID: r.str("guid"), Name: r.str("name")}, r.err
			})
		})
}

// GroupHours is a group's access times (GetTimeRestrictedAccessCommand;
// "" : any time).
func (c *Client) GroupHours(ctx context.Context, groupGUID string) (string, error) {
	return query(ctx, c, command(amproto.GetTimeRestrictedAccessCommand, soapenc.Str("groupId", groupGUID)),
		func(reply *soapenc.Value) (string, error) {
			v := reply.Field("timeRestrictedAccessDTO")
			if err := expectType(v, amproto.TimeRestrictedAccessDTO); err != nil {
				return "", err
			}
			r := reader{v: v}
			return r.str("accessHours"), r.err
		})
}

// TestAccess asks AM whether login may authenticate at the agent named
// agentName now (TestAccessInfoCommand): no passcode, nothing counted.
func (c *Client) TestAccess(ctx context.Context, login, agentName string) (AccessInfo, error) {
	return query(ctx, c, command(amproto.TestAccessInfoCommand, soapenc.Str("userId", login), soapenc.Str("agentName", agentName)),
		func(reply *soapenc.Value) (AccessInfo, error) {
			v := reply.Field("infoDto")
			if err := expectType(v, amproto.TestAccessInfoDto); err != nil {
				return AccessInfo{}, err
			}
			r := reader{v: v}
			a := AccessInfo{Granted: r.bool("accessGranted"), Agent: r.str("agentName"), Group: r.str("groupName"),
				AccessHours: r.str("accessHours"), OfflineDays: r.int("numOfflineDays"), OfflineAllowed: r.bool("oadAllowed"),
				OfflineEAPasscode: r.bool("oeapAllowed"), OfflineEATokencode: r.bool("oeatAllowed")}
			if r.err == nil && a.Agent == "" {
				r.err = fmt.Errorf("%w: TestAccessInfoDto without an agent", ErrMalformedReply)
			}
			return a, r.err
		})
}
