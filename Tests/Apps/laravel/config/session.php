<?php
return [
    // redis (the default here), or database with $SESSION_DRIVER=database: rows of the sessions table on $DB_CONNECTION.
    'driver' => getenv('SESSION_DRIVER') ?: 'redis',
    'lifetime' => 60,
    'expire_on_close' => false,
    'encrypt' => (bool) getenv('SESSION_ENCRYPT'),
    'connection' => getenv('SESSION_DRIVER') === 'database' ? getenv('DB_CONNECTION') : 'cache',
    'table' => 'sessions',
    'store' => null,
    'lottery' => [2, 100],
    'cookie' => 'laravel_session',
    'path' => '/',
    'domain' => null,
    'secure' => false,
    'http_only' => true,
    'same_site' => 'lax',
];
