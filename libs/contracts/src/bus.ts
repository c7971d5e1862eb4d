/** The stream every fact (`evt.>`) is published on, for audit and for consumers. */
export const eventStream = { name: 'EVENTS', subjects: ['evt.>'] } as const;
