import { exposureRoutes } from './exposures';
import { importRoutes } from './imports';
import { mappingRoutes } from './mappings';
import { networkRoutes } from './network';
import { peeringRoutes } from './peerings';
import { poolRoutes } from './pools';
import { privateNetworkRoutes } from './private-networks';
import { projectRoutes } from './projects';
import { defineRoute, json, type Route } from './route';
import { tenantRoutes } from './tenants';
import { vclusterRoutes } from './vclusters';

const docsRoutes = [
  defineRoute({
    method: 'GET',
    url: '/openapi.json',
    auth: 'public',
    operationId: 'getOpenApi',
    summary: 'This document (interactive docs at /docs)',
    tag: 'docs',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
    async handler({ document }) {
      return json(200, document);
    },
  }),
];

/**
 * The route table: the one place routes are declared. The server registers it, the OpenAPI
 * document is generated from it, and the authorization tests iterate over it.
 */
export const routes: Route[] = [
  ...tenantRoutes,
  ...poolRoutes,
  ...privateNetworkRoutes,
  ...projectRoutes,
  ...vclusterRoutes,
  ...mappingRoutes,
  ...exposureRoutes,
  ...importRoutes,
  ...networkRoutes,
  ...peeringRoutes,
  ...docsRoutes,
];
