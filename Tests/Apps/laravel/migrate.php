<?php
// Creates the sessions table of the database driver with Laravel's own migration
// (the stub `php artisan session:table` writes), on $DB_CONNECTION: as an application would.
require '/usr/share/php/Illuminate/autoload.php';
require __DIR__ . '/app/App.php';

$app = require __DIR__ . '/bootstrap/app.php';
// The HTTP kernel's bootstrappers load the configuration and the providers (no console kernel here).
$app->make(Illuminate\Contracts\Http\Kernel::class)->bootstrap();
require '/usr/share/php/Illuminate/Session/Console/stubs/database.stub';
(new CreateSessionsTable())->up();
echo "ok\n";
