<?php
// Laravel 8's default Redis options (phpredis, prefix laravel_database_); the cache shares database 0 here.
$redis = ['host' => '127.0.0.1', 'port' => (int) getenv('REDIS_PORT'), 'database' => 0];
// The database driver's connection ($DB_CONNECTION: mysql or pgsql), as Laravel's default config/database.php spells it.
$db = ['host' => getenv('DB_HOST') ?: '127.0.0.1', 'port' => getenv('DB_PORT'), 'database' => getenv('DB_DATABASE'),
       'username' => getenv('DB_USERNAME'), 'password' => getenv('DB_PASSWORD'), 'prefix' => ''];
return [
    'default' => getenv('DB_CONNECTION') ?: 'none',
    'connections' => [
        'mysql' => $db + ['driver' => 'mysql', 'charset' => 'utf8mb4', 'collation' => 'utf8mb4_unicode_ci'],
        'pgsql' => $db + ['driver' => 'pgsql', 'charset' => 'utf8', 'schema' => 'public', 'sslmode' => 'prefer'],
    ],
    'redis' => [
        'client' => 'phpredis',
        'options' => ['cluster' => 'redis', 'prefix' => 'laravel_database_'],
        'default' => $redis,
        'cache' => $redis,
    ],
];
