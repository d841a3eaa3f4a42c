// Which pages a role starts on: squad leaders (and the district roles) the board,
// officers their tasks.
export const LEADER_ROLES = new Set(["squad_leader", "commander", "supervisor", "admin"]);

export const isLeader = (role: string | null | undefined): boolean => !!role && LEADER_ROLES.has(role);
