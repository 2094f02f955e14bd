// The admin REST API under /admin. Every route authenticates and checks a permission first (src/auth/permissions.ts);
// every change is audited.
import type { Router } from '../../router.ts';
import { exportAudit, listAudit, verifyAudit } from './audit.ts';
import { getConfig } from './config.ts';
import { createKey, listKeys, revokeKey, rotateKey } from './keys.ts';
import { getLog, listLogs } from './logs.ts';
import { createTeam, createUser, disableUser, listTeams, listUsers } from './teams.ts';
import { clearKeyQuota, clearTeamQuota, getKeyQuota, getTeamQuota, setKeyQuota, setTeamQuota } from './quotas.ts';
import { getUsage } from './usage.ts';

export function registerAdminRoutes(router: Router): void {
  router
    .add('GET', '/admin/keys', listKeys)
    .add('POST', '/admin/keys', createKey)
    .add('DELETE', '/admin/keys/:id', revokeKey)
    .add('POST', '/admin/keys/:id/rotate', rotateKey)
    .add('GET', '/admin/keys/:id/quota', getKeyQuota)
    .add('PUT', '/admin/keys/:id/quota', setKeyQuota)
    .add('DELETE', '/admin/keys/:id/quota', clearKeyQuota)
    .add('GET', '/admin/teams/:id/quota', getTeamQuota)
    .add('PUT', '/admin/teams/:id/quota', setTeamQuota)
    .add('DELETE', '/admin/teams/:id/quota', clearTeamQuota)
    .add('GET', '/admin/usage', getUsage)
    .add('GET', '/admin/teams', listTeams)
    .add('POST', '/admin/teams', createTeam)
    .add('GET', '/admin/users', listUsers)
    .add('POST', '/admin/users', createUser)
    .add('DELETE', '/admin/users/:id', disableUser)
    .add('GET', '/admin/logs', listLogs)
    .add('GET', '/admin/logs/:id', getLog)
    .add('GET', '/admin/audit', listAudit)
    .add('GET', '/admin/audit/export', exportAudit)
    .add('GET', '/admin/audit/verify', verifyAudit)
    .add('GET', '/admin/config', getConfig);
}
