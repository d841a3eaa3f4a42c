// Which pages a role starts on: squad leaders (and the district roles) the board,
// officers their tasks.
export const LEADER_ROLES = new Set(["squad_leader", "commander", "supervisor", "admin"]);

export const isLeader = (role: string | null | undefined): boolean => !!role && LEADER_ROLES.has(role);

// The command centre, supervisors and admins: the whole district.
export const DISTRICT_ROLES = new Set(["commander", "supervisor", "admin"]);

export const isDistrict = (role: string | null | undefined): boolean =>
  !!role && DISTRICT_ROLES.has(role);
